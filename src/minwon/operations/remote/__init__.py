"""Running commands on other hosts (over SSH on real hosts)."""
