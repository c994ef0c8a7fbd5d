"""The second site (disaster recovery, F5): a Patroni standby cluster that follows the
primary site, knows how far behind it is, and is promoted when the primary site is lost.

``site.py`` starts and stops the second site beside a local cluster; ``link.py`` reads
where each site's WAL stands and keeps the history that makes a lag in seconds; ``fence.py``
decides whether the primary site is out of the way; ``promotion.py`` checks and promotes;
``watch.py`` is the second site's supervisor's part (sampling, and promoting on its own
when told to).
"""
