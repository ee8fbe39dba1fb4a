# Sourced by every script that starts Python. Python keeps the bytecode of the modules it
# imports (in __pycache__) and reads it on the next start; a shell that sets
# PYTHONDONTWRITEBYTECODE (some machines and CI images do) made every process compile the app
# and its libraries from source again: about 3 s of CPU for each start of the app (create_app
# 4.6 s -> 1.6 s), dozens of times in a test run (the workers, the renderer's forkserver, the
# command-line and server tests' processes).
unset PYTHONDONTWRITEBYTECODE
