"""Parsing what people type into editor fields, with messages that name the field."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLineEdit


def text(edit: QLineEdit) -> str:
    return edit.text().strip()


def opt_int(edit: QLineEdit, field: str) -> int | None:
    value = text(edit)
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{field}: '{value}' is not a whole number") from None


def opt_float(edit: QLineEdit, field: str) -> float | None:
    value = text(edit)
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"{field}: '{value}' is not a number") from None


def int_list(edit: QLineEdit, field: str) -> list[int]:
    """'100, 200-202' -> [100, 200, 201, 202]."""
    out: list[int] = []
    for part in text(edit).replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            if "-" in part:
                lo, hi = (int(x) for x in part.split("-", 1))
                if hi < lo or hi - lo > 4094:
                    raise ValueError
                out.extend(range(lo, hi + 1))
            else:
                out.append(int(part))
        except ValueError:
            raise ValueError(f"{field}: '{part}' is not a VLAN id or a range such as "
                             "200-210") from None
    return out


def show_int_list(values: list[int]) -> str:
    """[100, 200, 201, 202] -> '100, 200-202'."""
    out: list[str] = []
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[j + 1] == values[j] + 1:
            j += 1
        out.append(str(values[i]) if j - i < 2 else f"{values[i]}-{values[j]}")
        if 0 < j - i < 2:
            out.extend(str(v) for v in values[i + 1:j + 1])
        i = j + 1
    return ", ".join(out)


def names(edit: QLineEdit) -> list[str]:
    return [x.strip() for x in text(edit).split(",") if x.strip()]


def combo_value(combo: QComboBox):
    return combo.currentData()


def set_combo(combo: QComboBox, value) -> None:
    i = combo.findData(value)
    combo.setCurrentIndex(i if i >= 0 else 0)


def fill_combo(combo: QComboBox, items: list[tuple[str, object]]) -> None:
    current = combo.currentData()
    combo.blockSignals(True)
    combo.clear()
    for label, data in items:
        combo.addItem(label, data)
    set_combo(combo, current)
    combo.blockSignals(False)
