# The customer-service platform. `make run` starts everything; `make test` runs every test.
SHELL := /bin/bash
DOTNET ?= dotnet
CONFIG ?= Debug
RESULTS := $(CURDIR)/TestResults

.PHONY: run test build prereqs manifest bench load clean clean-data

run: build ## install what is missing, build, start the AppHost (Ctrl-C stops every process it started)
	cd AppHost && exec $(DOTNET) run --no-build -c $(CONFIG) --launch-profile http

test: build ## install what is missing, build, run every test; prints "N passed, N failed"
	bash eng/run-tests.sh "$(RESULTS)" $(CONFIG)

build: prereqs
	$(DOTNET) build CustomerService.sln -c $(CONFIG) -nologo -clp:ErrorsOnly -v:q

prereqs:
	@bash eng/install-prereqs.sh

manifest: build ## regenerate aspire-manifest.json from the AppHost in publish mode
	cd AppHost && $(DOTNET) run --no-build -c $(CONFIG) --launch-profile http -- --publisher manifest --output-path ../aspire-manifest.json

bench: build ## BenchmarkDotNet and throughput benchmarks (figures go into the README)
	bash eng/run-benchmarks.sh

load: build ## closed-model chat load through the gateway against a running AppHost
	bash eng/run-load.sh

clean-data: ## deletes the local servers' data kept by `make run` (conversations, JetStream, ClickHouse)
	rm -rf .data

clean:
	$(DOTNET) clean CustomerService.sln -nologo -v:q
	rm -rf $(RESULTS)
