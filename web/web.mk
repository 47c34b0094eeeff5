# web/: gzip for responses (zlib) and crypt(3) for the salted secret hashes.
# (AGENT_PKGS is already expanded when this is included: append to it.)
AGENT_PKGS += zlib libcrypt
