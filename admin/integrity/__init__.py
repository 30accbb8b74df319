"""Staff pages for integrity: recusal, anomalies, two-person controls, stocktake, the fund."""
