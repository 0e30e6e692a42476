"""The domain core: pure Python (polars/numpy), no Django.

Data flows one way: files in -> events -> obligations -> key figures.
Each arrow is one module here: interchange -> obligations -> kpis.
"""
