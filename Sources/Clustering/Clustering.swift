// Clustering: feature scaling, affinities, similarity graphs, graph Laplacians, spectral
// embedding, eigengap, k-means and cluster scores.
//
// Spectral pipeline (scikit-learn 1.9.1 / SciPy 1.17.1 semantics), one file per step:
//   FeatureScaling.swift     StandardScaler / MinMaxScaler / Normalizer
//   Affinity.swift           RBF kernel, precomputed similarity (check_symmetric repair)
//   SimilarityGraph.swift    full / epsilon / kNN graphs (GraphConstruction)
//   Laplacian.swift          csgraph.laplacian (normed and unnormalised), connected components
//   SpectralEmbedding.swift  sklearn spectral_embedding(drop_first=False) + Laplacian eigenvalues
//   Eigengap.swift           eigengap heuristic (von Luxburg 2007, §8.3)
//   SpectralSupport.swift    errors, warnings, solver routing, 2-core row parallelism
//
// The library never prints or exits: problems are thrown (`SpectralError`), caveats are
// returned as values (`SpectralWarning`).
import LinearAlgebra
