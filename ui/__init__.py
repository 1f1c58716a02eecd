"""Streamlit helpers shared by the pages (only pages/ and ui/ import streamlit)."""
