"""The Python-step benchmark's pipeline (bench/python_steps.sh): 23 KFP lightweight Python
components, three chained steps then a ParallelFor of 20.

    python python_steps_pipeline.py OUT.yaml
"""
from kfp import dsl, compiler

@dsl.component
def make_numbers(n: int) -> list:
    return list(range(n))

@dsl.component
def scale(xs: list, factor: int) -> list:
    return [x * factor for x in xs]

@dsl.component
def offset(xs: list, by: int) -> list:
    return [x + by for x in xs]

@dsl.component
def square(x: int) -> int:
    return x * x

@dsl.pipeline(name="python-steps")
def python_steps(n: int = 20):
    a = make_numbers(n=n)
    b = scale(xs=a.output, factor=2)
    c = offset(xs=b.output, by=1)
    with dsl.ParallelFor(c.output) as item:
        square(x=item)

if __name__ == "__main__":
    import sys
    compiler.Compiler().compile(python_steps, sys.argv[1])
