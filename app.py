"""RED Lab: the one entry point (page configuration and navigation, in ui/navigation.py)."""

from ui import navigation

navigation.run()
