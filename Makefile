# Fabric Console: set-up, tests and launch.
#
#   make run     set up everything if needed, then start the GUI (ARGS="..." passes options)
#   make test    set up everything if needed, then ruff, import contracts, mypy and pytest
#   make lint    ruff, import contracts and mypy only
#   make clean   remove the virtual environment, build output and caches
#   make install / make uninstall                  the application and its desktop files,
#   make desktop-install / make desktop-uninstall  or the desktop files only (docs/desktop.md)
#   make dist    sdist and wheel into dist/ (python -m build)
#
# Set-up is idempotent and cheap when nothing changed: Debian packages are checked with one
# dpkg-query call and installed only when missing; the virtual environment is rebuilt only
# when pyproject.toml or setup.py is newer than its stamp, and the Cython extensions are
# recompiled (without reinstalling anything) when a console/engine/*.pyx, .pxd or .pxi
# changes.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.SUFFIXES:

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.fabric-console.stamp
ARGS   ?=

# The build's own requirements ([build-system] in pyproject.toml), kept in the venv so that
# a changed .pyx is recompiled in place (setup.py build_ext --inplace), offline, and only
# the extensions whose sources changed.
BUILD_REQUIRES := 'setuptools>=69' 'Cython>=3.0.10' wheel

ENGINE_SOURCES := $(wildcard console/engine/*.pyx console/engine/*.pxd console/engine/*.pxi)
# A .pyx without its compiled module (new file, or after a partial clean) forces a build.
ENGINE_UNBUILT := $(strip $(foreach pyx,$(wildcard console/engine/*.pyx),\
                    $(if $(wildcard $(pyx:.pyx=).cpython-*.so),,$(pyx))))

# Debian 12 packages. Found by installing PySide6 in the venv, listing the NEEDED entries
# (readelf -d / ldd) of the Qt libraries, the offscreen/xcb/minimal platform plugins, the
# xcb GL integrations and image formats under site-packages/PySide6, and mapping each
# library to its package with dpkg -S (libc6, libstdc++6, zlib1g... are always present).
APT_BUILD   := gcc pkg-config libvirt-dev
APT_RUNTIME := libvirt0
APT_QT      := libglib2.0-0 libdbus-1-3 libfontconfig1 libfreetype6 fonts-dejavu-core \
               libegl1 libgl1 libgl1-mesa-dri libgssapi-krb5-2 libxkbcommon0 \
               libxkbcommon-x11-0 libx11-6 libx11-xcb1 libxcb1 libxcb-cursor0 libxcb-glx0 \
               libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render0 \
               libxcb-render-util0 libxcb-shape0 libxcb-shm0 libxcb-sync1 libxcb-util1 \
               libxcb-xfixes0 libxcb-xkb1
APT_SCREEN  := xvfb xauth
APT_PACKAGES := $(APT_BUILD) $(APT_RUNTIME) $(APT_QT) $(APT_SCREEN)
# Only for `make test`: private libvirtd instances (the test driver over a socket, SASL
# logins, and the QEMU driver running real TCG guests for live updates, migration and
# bulk counters; qemu-system-x86 brings SeaBIOS and iPXE), and iproute2 for the kernel lab.
# The desktop files' validators and the tools tests/packaging runs on them:
# desktop-file-validate, appstreamcli, update-mime-database, groff (man page warnings),
# and the hicolor theme's index.theme, by which Qt finds the installed icon by name.
APT_DESKTOP := desktop-file-utils appstream shared-mime-info groff-base hicolor-icon-theme
APT_TEST    := libvirt-daemon libvirt-daemon-driver-qemu qemu-system-x86 sasl2-bin \
               libsasl2-modules iproute2 $(APT_DESKTOP)

export DEBIAN_FRONTEND := noninteractive
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export PIP_NO_INPUT := 1

.PHONY: help run test lint clean sysdeps setup FORCE install uninstall desktop-install \
        desktop-uninstall dist man icons

help:
	@echo "make run    set up if needed, start fabric-console (ARGS='--connect URI FILE')"
	@echo "make test   set up if needed, then ruff, lint-imports, mypy and pytest (offscreen Qt)"
	@echo "make lint   ruff, lint-imports and mypy"
	@echo "make clean  remove .venv, build output and caches"
	@echo "make install          install for this user: the application in its own venv"
	@echo "                      (PREFIX/lib/fabric-console, command in PREFIX/bin) and the"
	@echo "                      desktop files; make uninstall removes both (PREFIX=~/.local)"
	@echo "make desktop-install  launcher, icons, AppStream metainfo, MIME type, man page only"
	@echo "                      (fabric-console installed another way); honours DESTDIR"
	@echo "make desktop-uninstall"
	@echo "make dist             sdist and wheel into dist/"
	@echo "make man / make icons regenerate docs/man/fabric-console.1 / the icon PNGs"

# --- Debian packages ------------------------------------------------------------------
# Checked every time (one dpkg-query, a few ms); apt runs only when something is missing.
# SKIP_SYSDEPS=1 skips the check (e.g. on a machine set up another way).
sysdeps:
	@if [ -n "$${SKIP_SYSDEPS:-}" ]; then exit 0; fi
	@if ! command -v dpkg-query >/dev/null 2>&1; then \
	  echo "make: no dpkg here (not Debian?); make sure the equivalents of these are installed:"; \
	  echo "  $(APT_PACKAGES)"; exit 0; fi
	@want="$(APT_PACKAGES)"; \
	if ! "$(PYTHON)" -c 'import ensurepip, venv' >/dev/null 2>&1; then want="$$want python3-venv"; fi; \
	if ! "$(PYTHON)" -c 'import os, sysconfig; \
	  raise SystemExit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' \
	  >/dev/null 2>&1; then want="$$want python3-dev"; fi; \
	have=$$( { dpkg-query -W -f='$${db:Status-Abbrev} $${Package}\n' $$want 2>/dev/null || true; } \
	        | awk '$$1 == "ii" {print $$2}' | sort -u); \
	missing=$$(comm -23 <(tr ' ' '\n' <<<"$$want" | sed '/^$$/d' | sort -u) <(echo "$$have")); \
	missing=$$(echo $$missing); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then \
	  echo "make: missing Debian packages: $$missing" >&2; \
	  echo "make: install them as root, then run make again:" >&2; \
	  echo "  apt-get update && apt-get install -y --no-install-recommends $$missing" >&2; \
	  exit 1; fi; \
	echo "make: installing Debian packages: $$missing"; \
	apt-get -qq -o DPkg::Lock::Timeout=300 update </dev/null; \
	apt-get -qq -o DPkg::Lock::Timeout=300 -o Dpkg::Use-Pty=0 install -y \
	  --no-install-recommends $$missing </dev/null >/dev/null; \
	echo "make: Debian packages installed"

# --- virtual environment and build ----------------------------------------------------
# Full install when the venv is new or pyproject.toml/setup.py changed ($? names the
# prerequisites newer than the stamp); otherwise only the Cython extensions are rebuilt.
$(STAMP): pyproject.toml setup.py $(ENGINE_SOURCES) $(if $(ENGINE_UNBUILT),FORCE) | sysdeps
	@if [ ! -x "$(BIN)/python" ] || [ ! -e "$@" ] || grep -qwE 'pyproject\.toml|setup\.py' <<<"$?"; then \
	  echo "make: setting up $(VENV) (pip install -e '.[test]')"; \
	  [ -x "$(BIN)/python" ] || "$(PYTHON)" -m venv "$(VENV)"; \
	  "$(BIN)/python" -m pip install -q --upgrade pip $(BUILD_REQUIRES); \
	  "$(BIN)/python" -m pip install -q -e '.[test]'; \
	else \
	  echo "make: recompiling changed Cython extensions ($(strip $(filter-out FORCE,$?) $(ENGINE_UNBUILT)))"; \
	  "$(BIN)/python" setup.py -q build_ext --inplace; \
	fi
	@touch "$@"

setup: $(STAMP)

FORCE:

# --- targets --------------------------------------------------------------------------
run: $(STAMP)
	@if [ -z "$${DISPLAY:-}$${WAYLAND_DISPLAY:-}" ] && [ -z "$${QT_QPA_PLATFORM:-}" ]; then \
	  echo "make: no display; for a virtual one: xvfb-run -a make run" >&2; fi
	"$(BIN)/fabric-console" $(ARGS)

# All four checks run even if one fails, so one run shows everything; any failure fails.
test: APT_PACKAGES += $(APT_TEST)
# pytest's exit code 5 (no tests collected) counts as a failure, not as a pass.
test: $(STAMP)
	@status=0; \
	echo "== ruff check ."; "$(BIN)/ruff" check . || status=1; \
	echo "== lint-imports"; "$(BIN)/lint-imports" || status=1; \
	echo "== mypy"; "$(BIN)/mypy" || status=1; \
	echo "== pytest"; rc=0; QT_QPA_PLATFORM=offscreen "$(BIN)/pytest" -q || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make: pytest collected no tests" >&2; status=1; \
	elif [ $$rc -ne 0 ]; then status=1; fi; \
	exit $$status

lint: $(STAMP)
	@status=0; \
	echo "== ruff check ."; "$(BIN)/ruff" check . || status=1; \
	echo "== lint-imports"; "$(BIN)/lint-imports" || status=1; \
	echo "== mypy"; "$(BIN)/mypy" || status=1; \
	exit $$status

clean:
	rm -rf "$(VENV)" build dist *.egg-info .pytest_cache .ruff_cache .hypothesis \
	  .import_linter_cache
	rm -f console/engine/*.so $(patsubst %.pyx,%.c,$(wildcard console/engine/*.pyx))
	find . -path ./.git -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +

# --- desktop installation (docs/desktop.md) -------------------------------------------
# For the user by default: PREFIX=~/.local, data into $XDG_DATA_HOME (~/.local/share),
# the man page into DATADIR/man/man1 (man finds it through ~/.local/bin on PATH). Given a
# PREFIX (make desktop-install PREFIX=/usr/local), everything goes under it instead.
# DESTDIR stages the desktop files into another root (packagers); it then skips updating
# the MIME, desktop and icon caches, which the target system's package manager does.
ifeq ($(origin PREFIX),undefined)
PREFIX  := $(HOME)/.local
DATADIR ?= $(or $(XDG_DATA_HOME),$(PREFIX)/share)
else
DATADIR ?= $(PREFIX)/share
endif
BINDIR  ?= $(PREFIX)/bin
APPDIR  ?= $(PREFIX)/lib/fabric-console
MANDIR  ?= $(DATADIR)/man/man1

APP_ID      := io.github.fabric_console.FabricConsole
DESKTOP_SRC := resources/desktop
ICON_SIZES  := 16 22 24 32 48 64 128 256
# source :: installed path (relative to DESTDIR)
DESKTOP_FILES := \
  $(DESKTOP_SRC)/$(APP_ID).desktop::$(DATADIR)/applications/$(APP_ID).desktop \
  $(DESKTOP_SRC)/$(APP_ID).metainfo.xml::$(DATADIR)/metainfo/$(APP_ID).metainfo.xml \
  $(DESKTOP_SRC)/$(APP_ID).mime.xml::$(DATADIR)/mime/packages/$(APP_ID).xml \
  $(DESKTOP_SRC)/icons/$(APP_ID).svg::$(DATADIR)/icons/hicolor/scalable/apps/$(APP_ID).svg \
  $(foreach n,$(ICON_SIZES),\
    $(DESKTOP_SRC)/icons/$(APP_ID)-$(n).png::$(DATADIR)/icons/hicolor/$(n)x$(n)/apps/$(APP_ID).png) \
  docs/man/fabric-console.1::$(MANDIR)/fabric-console.1

# The caches a desktop reads: MIME (the topology type), desktop entries by MIME type, and
# GTK's icon cache where one exists. Each tool is optional (a minimal system has none).
define refresh_caches
	@if [ -z "$(DESTDIR)" ]; then \
	  if command -v update-mime-database >/dev/null; then \
	    update-mime-database "$(DATADIR)/mime"; fi; \
	  if command -v update-desktop-database >/dev/null; then \
	    update-desktop-database -q "$(DATADIR)/applications"; fi; \
	  if command -v gtk-update-icon-cache >/dev/null && \
	     [ -e "$(DATADIR)/icons/hicolor/index.theme" ]; then \
	    gtk-update-icon-cache -q -t "$(DATADIR)/icons/hicolor" || true; fi; \
	fi
endef

desktop-install:
	@for pair in $(DESKTOP_FILES); do \
	  src="$${pair%%::*}"; dst="$(DESTDIR)$${pair#*::}"; \
	  install -D -m 644 "$$src" "$$dst"; echo "  $$dst"; \
	done
	$(refresh_caches)

desktop-uninstall:
	@for pair in $(DESKTOP_FILES); do \
	  dst="$(DESTDIR)$${pair#*::}"; \
	  if [ -e "$$dst" ]; then rm -f "$$dst"; echo "  removed $$dst"; fi; \
	done
	$(refresh_caches)

# The application itself in a private virtual environment (like pipx): Debian's own
# Python refuses `pip install --user` (PEP 668), and the console's dependencies (PySide6,
# libvirt-python built against the system libvirt) stay out of every other program's way.
install: sysdeps
	@if [ -n "$(DESTDIR)" ]; then \
	  echo "make: a virtual environment cannot be staged under DESTDIR; use" \
	       "'make desktop-install DESTDIR=...' and install the wheel (make dist) instead" >&2; \
	  exit 1; fi
	@echo "make: installing fabric-console into $(APPDIR)"
	@[ -x "$(APPDIR)/bin/python" ] || "$(PYTHON)" -m venv "$(APPDIR)"
	@"$(APPDIR)/bin/python" -m pip install -q --upgrade pip
	@"$(APPDIR)/bin/python" -m pip install -q --upgrade .
	@install -d "$(BINDIR)"
	@ln -sfn "$(APPDIR)/bin/fabric-console" "$(BINDIR)/fabric-console"
	@echo "  $(BINDIR)/fabric-console"
	@$(MAKE) --no-print-directory desktop-install
	@case ":$$PATH:" in *":$(BINDIR):"*) ;; *) \
	  echo "make: note: $(BINDIR) is not on PATH; the launcher runs 'fabric-console' from PATH" >&2;; \
	esac

uninstall: desktop-uninstall
	@if [ -L "$(BINDIR)/fabric-console" ] && \
	   [ "$$(readlink "$(BINDIR)/fabric-console")" = "$(APPDIR)/bin/fabric-console" ]; then \
	  rm -f "$(BINDIR)/fabric-console"; echo "  removed $(BINDIR)/fabric-console"; fi
	@if [ -x "$(APPDIR)/bin/python" ]; then rm -rf "$(APPDIR)"; echo "  removed $(APPDIR)"; fi

# --- release artefacts ----------------------------------------------------------------
# sdist, then the wheel built from it (what a package index gets); offline, with the
# build requirements already in the venv.
dist: $(STAMP)
	"$(BIN)/python" -m build --no-isolation --outdir dist .

man: $(STAMP)
	"$(BIN)/python" scripts/manpage.py

icons: $(STAMP)
	QT_QPA_PLATFORM=offscreen "$(BIN)/python" scripts/make_icons.py
