"""What `make run` and `make test` show and check on the person's terminal.

Plain helpers with no Dagster definitions in them: the machine check behind `make test`, and the
live progress view and closing summary of `make run`.
"""
