# web/: gzip for responses (zlib) and crypt(3) for the salted secret hashes.
AGENT_EXTRA_PKGS += zlib libcrypt
