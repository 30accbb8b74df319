"""The points supermarket: goods and stock, redemption, kiosk devices and sessions, stocktake, the kiosk's spoken words."""
