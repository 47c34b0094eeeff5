# The memory collector's process groups live in their own file (a .c
# directly under collectors/ would become a collector of its own).
memory_SRCS := collectors/memory/procgroups.c
