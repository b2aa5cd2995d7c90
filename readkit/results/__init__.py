"""The ground floor: the plain data that flows between readkit's layers.

Frozen dataclasses only: annotations and legacy findings (`results.annotate`), what a
checked run observed and concluded (`results.check`), migrations and their verification
(`results.migrate`), reference steps and their expectations (`results.reference`), the map
of a repository (`results.map`). This
package imports neither torch nor libcst nor any other part of readkit, so every layer
above can depend on it and it depends on none. How results display themselves without
importing render: `results.display`. docs/architecture.md draws the whole map.
"""
