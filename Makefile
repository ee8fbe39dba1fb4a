# The two commands of the README. Both do every set-up step they need.
.PHONY: run test

run:
	scripts/run.sh

test:
	scripts/test.sh
