"""`{{ n|tal }}`: a number in running text or a heading as in the tables ("1 234", decimal comma).

Why it exists: Django prints 1234 bare, and turning on its thousand separator globally would
also split years and ids in links ("2 026"); the filter is used where a count is read.
"""

from __future__ import annotations

from django import template

from egenkontroll.pages.tables import number_text

register = template.Library()


@register.filter
def tal(value):
    """Whole numbers with a no-break space between thousands; decimals with one decimal comma."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    return number_text(value, 0 if float(value).is_integer() else 1)
