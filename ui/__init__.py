"""Streamlit helpers shared by the pages (only views/ and ui/ import streamlit)."""
