"""SIMCom: SIM7600 family and A76xx (TCP/IP over AT+NETOPEN / AT+CIPOPEN)."""
