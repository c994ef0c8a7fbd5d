"""Real network paths for network faults: namespaces, veth links and nftables rules."""
