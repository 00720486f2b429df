"""Statistics: accountability figures, deadlines and the operators' dashboard.

``figures`` per agency rolled up by parent, ``refresh`` keeps their facts
table current, ``deadlines`` the overdue lists, ``csv_export`` the reports,
``dashboard`` the operators' read model. May use: ``axis.delivery`` (dead
letters), ``axis.storage``. Nothing below imports it.
"""
