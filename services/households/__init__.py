"""Households (一户一档): the registry, Excel import/export, QR cards, life events."""
