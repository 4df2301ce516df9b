"""Numbers the way Vietnamese reports write them: '14,9', '1.234', '267 tỷ đồng', '06 xã'."""

from __future__ import annotations

import math


def vi_number(value: float, decimals: int = 1) -> str:
    """A decimal comma and dots between thousands; no decimals on whole numbers."""
    if value is None:
        return "-"
    if float(value).is_integer():
        decimals = 0
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def vi_fixed(value: float, decimals: int = 1) -> str:
    """Always `decimals` digits: 16,0 tiêu chí/xã."""
    return f"{value:,.{decimals}f}".replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def count(value: float) -> str:
    """Counts of communes, projects and products, two digits like the reports: 06 xã, 12 sản phẩm."""
    return f"{int(round(value)):02d}"


def billion_vnd(million: float) -> str:
    """Million VND as the reports say it: 'trên 267 tỷ đồng' for 267,350 million."""
    billions = million / 1000
    whole = math.floor(billions)
    return f"{'trên ' if billions > whole else ''}{vi_number(whole)} tỷ đồng"
