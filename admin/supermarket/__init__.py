"""Staff pages for the points supermarket: goods, stock, redemptions, kiosk devices."""
