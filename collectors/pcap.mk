# The pcap collector: its analysis engine lives in collectors/pcap/ and is
# also compiled into the agent for `chokepoint pcap FILE` (agent/pcap.mk).
PCAP_ENGINE_SRCS := collectors/pcap/pkt.c collectors/pcap/lhist.c \
	collectors/pcap/flowtab.c collectors/pcap/analyzer.c \
	collectors/pcap/capture.c collectors/pcap/options.c
pcap_SRCS := $(PCAP_ENGINE_SRCS)
pcap_PKGS := libpcap
