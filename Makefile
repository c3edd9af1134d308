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
	cd AppHost && $(DOTNET) run --no-build -c $(CONFIG) --no-launch-profile -- --publisher manifest --output-path ../aspire-manifest.json

bench: ## BenchmarkDotNet and throughput benchmarks, Release build (figures go into the README)
	$(MAKE) build CONFIG=Release
	bash eng/run-benchmarks.sh

load: ## a load profile through the gateway: make load PROFILE=smoke|peak|singles-day [LOAD_ARGS=...] (starts the platform in Release unless one runs)
	$(MAKE) build CONFIG=Release
	CONFIG=Release bash eng/run-load.sh $(if $(PROFILE),--profile $(PROFILE)) $(LOAD_ARGS)

clean-data: ## deletes the local servers' data kept by `make run` (conversations, JetStream, ClickHouse)
	rm -rf .data

clean:
	$(DOTNET) clean CustomerService.sln -nologo -v:q
	rm -rf $(RESULTS)
