# `chokepoint pcap FILE`: the pcap collector's engine linked into the agent.
AGENT_EXTRA_SRCS += $(PCAP_ENGINE_SRCS)
AGENT_EXTRA_PKGS += libpcap
