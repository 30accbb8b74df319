"""Integrity: recusal (回避), anomaly audit, the points fund (资金台账) and its checks."""
