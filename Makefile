# `sam build` runs these targets (infra/template.yaml: Metadata: BuildMethod: makefile, CodeUri at
# the repository root) with ARTIFACTS_DIR set to the function's folder under .aws-sam/build/. Our
# own esbuild script makes the bundle (and copies Swagger UI's static files beside the API's), so
# `sam build`, `npm run build` and the tests all run the same bundles. The handler is index.handler.
.PHONY: build-ApiFunction build-WorkerFunction

build-ApiFunction:
	node --import tsx scripts/build.ts api
	cp -R dist/api/. "$(ARTIFACTS_DIR)/"

build-WorkerFunction:
	node --import tsx scripts/build.ts worker
	cp -R dist/worker/. "$(ARTIFACTS_DIR)/"
