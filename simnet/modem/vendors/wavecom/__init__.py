"""Wavecom / Sierra Wireless: WIPsoft and eDsoft IP stacks (dialects not built yet)."""
