"""Storage: PostgreSQL and what every room writes through.

Connections and the embedded server (``database``, ``embedded_database``), the
migrations runner (``migrator``), SQL in named blocks (``sql``), group commit
(many callers' writes in one transaction), LISTEN/NOTIFY (``notifications``)
and readiness. May use: asyncpg, ``axis.settings``, ``axis.errors``,
``axis.metrics``. Knows no room above it.
"""
