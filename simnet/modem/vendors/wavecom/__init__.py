"""Wavecom / Sierra Wireless: the WIPsoft (``wipsoft/``) and eDsoft (``edsoft/``) IP stacks;
what both share is in ``common.py``."""
