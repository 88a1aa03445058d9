"""Wavecom / Sierra Wireless: WIPsoft and eDsoft IP stacks (each dialect a subpackage: edsoft/, wipsoft/)."""
