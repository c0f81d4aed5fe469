"""Observational "treatments" defined from the session columns, one rule each, in one place.

Notebook 02 (discount sensitivity by segment) and notebook 04 (observational tests) compare
sessions with and without a discount; both use :func:`discount_contrast`, so they always compare
the same groups.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = ["Contrast", "discount_contrast", "above_median"]


@dataclass(frozen=True)
class Contrast:
    """A binary split of sessions: who counts as treated, and how reports name it.

    Attributes
    ----------
    treated : pandas.Series of bool
        One flag per session, aligned with the input frame.
    label : str
        How the contrast reads in a sentence, e.g. ``"any discount vs none"``.
    threshold : float
        Sessions with a value strictly above it are treated.
    assignable : bool, default True
        Whether the business can set the treatment itself (a discount, a price) and so randomize
        it; False for an outcome of the session such as engagement.
    lever : str, default ""
        For a treatment that cannot be assigned: what could be randomized instead to move it.
    """

    treated: pd.Series
    label: str
    threshold: float
    assignable: bool = True
    lever: str = ""

    @property
    def treated_share(self) -> float:
        """Share of sessions in the treated group."""
        return float(self.treated.mean())


def discount_contrast(sessions: pd.DataFrame, *, min_untreated_share: float = 0.05) -> Contrast:
    """Discounted vs undiscounted sessions, or above vs below the median discount.

    With at least ``min_untreated_share`` of sessions at a zero discount the contrast is "any
    discount vs none"; otherwise too few sessions are undiscounted to compare with, and the split
    is at the median discount.

    Parameters
    ----------
    sessions : DataFrame
        Sessions with a ``discount_applied`` column (percent).
    min_untreated_share : float, default 0.05
        Smallest share of undiscounted sessions for the "any discount vs none" contrast.

    Returns
    -------
    Contrast

    Examples
    --------
    >>> frame = pd.DataFrame({"discount_applied": [0, 0, 10, 20]})
    >>> c = discount_contrast(frame)
    >>> c.label, c.threshold, c.treated.tolist()
    ('any discount vs none', 0.0, [False, False, True, True])
    >>> discount_contrast(pd.DataFrame({"discount_applied": [5, 10, 20, 30]})).label
    'discount above the median (15.0%) vs below'
    """
    if not 0 <= min_untreated_share < 1:
        raise ValueError(f"min_untreated_share must be in [0, 1), got {min_untreated_share!r}")
    if "discount_applied" not in sessions.columns:
        raise ValueError("sessions has no 'discount_applied' column, so there is no discount contrast")
    discount = sessions["discount_applied"]
    if float((discount == 0).mean()) >= min_untreated_share:
        return Contrast(discount > 0, "any discount vs none", 0.0)
    cut = float(discount.median())
    return Contrast(discount > cut, f"discount above the median ({cut:.1f}%) vs below", cut)


def above_median(values: pd.Series, what: str) -> Contrast:
    """Sessions whose ``values`` are above the median vs the rest, named ``"<what> above the median vs not"``.

    Examples
    --------
    >>> c = above_median(pd.Series([1, 2, 3, 4]), "pages")
    >>> c.label, c.treated.tolist()
    ('pages above the median vs not', [False, False, True, True])
    """
    cut = float(values.median())
    return Contrast(values > cut, f"{what} above the median vs not", cut)
