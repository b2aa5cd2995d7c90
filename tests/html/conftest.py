from tests.html.sample import train_annotated, train_result, train_run, train_script  # noqa: F401 (fixtures)
