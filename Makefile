# The two commands: `make run` and `make test`. Everything else is a helper of theirs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint format bench load chromium dovecot messages clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,embedded]'
	@touch $(STAMP)

run: $(STAMP)
	$(PY) -m helpdesk.launcher run

test: $(STAMP) chromium dovecot
	$(PY) -m helpdesk.launcher test $(ARGS)

# Browser tests drive Debian's Chromium; install it when we can, say how when we cannot.
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian's chromium for the browser tests…"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "The browser tests need Chromium. Run: sudo apt-get install -y chromium"; exit 1; \
	  fi; \
	fi

# The mailbox tests run a private Dovecot (IMAP + POP3); install it like chromium.
dovecot:
	@if [ ! -x /usr/sbin/dovecot ] || [ ! -e /usr/lib/dovecot/imap ] || [ ! -e /usr/lib/dovecot/pop3 ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian's dovecot for the mailbox tests…"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd dovecot-pop3d >/dev/null; \
	  else \
	    echo "The mailbox tests need Dovecot. Run: sudo apt-get install -y dovecot-imapd dovecot-pop3d"; exit 1; \
	  fi; \
	fi

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(STAMP)
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

bench: $(STAMP)
	$(PY) -m helpdesk.launcher bench

# Agents, customers, widget chats, webhooks and inbound mail at LOAD_RATE actions/s (default 8)
# against web + worker + beat for LOAD_DURATION (default 10m); LOAD_CAPACITY=1 steps the rate
# up to the sustained capacity. On the bench database (or DATABASE_URL); writes bench/load.json
# and bench/LOAD.md.
load: $(STAMP)
	$(PY) -m helpdesk.launcher bench bench/load.py

# Regenerate the ja catalogue after changing strings (needs GNU gettext).
messages: $(STAMP)
	$(PY) manage.py makemessages -l ja --no-location -i '.venv/*' -i 'var/*'
	$(PY) manage.py compilemessages -l ja -i '.venv' -i 'var'

clean:
	rm -rf var/test
