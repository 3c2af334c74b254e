# lesionlab — the commands a new user needs: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench sample clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/lesionlab view sample_dicom

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -n 2 -q

bench: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m bench

sample: $(STAMP)
	$(BIN)/python tools/make_sample_dicom.py --out sample_dicom
	$(BIN)/python tools/make_sample_reading.py --sample sample_dicom

clean:
	rm -rf $(VENV) .pytest_cache bench/results.json
