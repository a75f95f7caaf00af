"""The JSON API under ``/api/v1`` on the review application: the pages' data and
decisions for scripts and other tools, with personal tokens (:mod:`.deps`,
:mod:`.tokens`), an OpenAPI schema and docs (:mod:`.routes.docs`)."""
