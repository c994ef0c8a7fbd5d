"""Backups and the WAL archive of the PostgreSQL cluster, by pgBackRest.

``config`` renders each node's ``pgbackrest.conf`` and the PostgreSQL settings that
archive to it; ``info`` reads ``pgbackrest info --output=json`` and ``verify``'s report
(pure); ``pgbackrest`` runs the real program as the database user; ``schedule`` decides
when a backup is due (pure); ``units`` writes the systemd timers of real hosts. Nothing
here knows the cluster's launcher: callers hand in paths and users.
"""
