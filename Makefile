# Set-up and everyday commands. Each target creates .venv when it is missing and installs into it.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: demo test lint proofs gate clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) install -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[test]'
	touch $@ $(VENV)/.installed

## demo: compile the progressive-squaring construction, show it, run it exactly, prove it and write its report
demo: $(VENV)/.installed
	@mkdir -p build
	$(BIN)/certify compile example:squaring -o build/squaring.rnn.json
	$(BIN)/certify info build/squaring.rnn.json
	@echo "Round m's output f_m(|x|) appears at TMNU step m+2; the claimed bound is 4^-(m+1):"
	$(BIN)/certify run build/squaring.rnn.json --x 1/3 --steps 70 --exact --tmnu --samples 20
	$(BIN)/certify report build/squaring.rnn.json -o build/squaring-report.html
	@echo "proof report: $(CURDIR)/build/squaring-report.html"

## test: lint, type check (mypy, [tool.mypy] in pyproject.toml), then the whole test suite (unit, property, golden,
## CLI, soundness, doctests)
test: $(VENV)/.installed-test
	$(BIN)/ruff check certify tests benchmarks scripts
	$(BIN)/mypy certify
	@$(BIN)/python -m pytest; rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing" >&2; exit 1; fi; exit $$rc

## proofs: regenerate proofs/<construction>/ (weights, certificate, SMT-LIB; the universal approximator's interpreter
## and six functions with their certified rate tables) and reports/<construction>.{html,md,json}, and re-check
## the certificates independently
proofs: $(VENV)/.installed-test
	$(BIN)/python scripts/make_universal_proofs.py --out proofs
	$(BIN)/python scripts/make_proofs.py --out proofs --reports reports
	$(BIN)/certify recheck $(filter-out proofs/squaring_clocked/certificate.json proofs/polynomial_clocked/certificate.json proofs/deep_narrow/certificate.json,$(wildcard proofs/*/certificate.json))

## gate: certify gate over everything in proofs/ ([tool.certify] in pyproject.toml); JUnit XML in artifacts/
gate: $(VENV)/.installed
	$(BIN)/certify gate --junit artifacts/gate-junit.xml

## lint: ruff and mypy only
lint: $(VENV)/.installed-test
	$(BIN)/ruff check certify tests benchmarks scripts
	$(BIN)/mypy certify

clean:
	rm -rf build .pytest_cache .ruff_cache .mypy_cache
