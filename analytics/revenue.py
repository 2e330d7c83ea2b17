"""Money as the Stats API answers it (Plausible's shape): a value rounded to cents, and two labels.

>>> money(decimal.Decimal("1234.565"), "EUR")
{'value': 1234.57, 'currency': 'EUR', 'short': '€1.2K', 'long': '€1,234.57'}
>>> money(decimal.Decimal("5"), "CHF")["long"]
'CHF 5.00'
"""

from __future__ import annotations

import decimal
from typing import Any

__all__ = ["money"]

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "CNY": "¥", "KRW": "₩", "BRL": "R$"}
_CENT = decimal.Decimal("0.01")
_STEPS = ((decimal.Decimal(10**9), "B"), (decimal.Decimal(10**6), "M"), (decimal.Decimal(10**3), "K"))


def money(amount: decimal.Decimal | int | float, currency: str) -> dict[str, Any]:
    value = decimal.Decimal(str(amount)).quantize(_CENT, rounding=decimal.ROUND_HALF_UP)
    symbol = SYMBOLS.get(currency, f"{currency} ")
    sign = "-" if value < 0 else ""
    short = f"{abs(value):.2f}"
    for step, suffix in _STEPS:
        if abs(value) >= step:
            scaled = (abs(value) / step).quantize(decimal.Decimal("0.1"), rounding=decimal.ROUND_HALF_UP)
            short = f"{scaled}{suffix}"
            break
    return {
        "value": float(value),
        "currency": currency,
        "short": f"{sign}{symbol}{short}",
        "long": f"{sign}{symbol}{abs(value):,.2f}",
    }
