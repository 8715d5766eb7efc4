"""The report's reference list: the full citation of every work its text cites.

A work is listed when the claims' text (hypothesis, method, literature, caveats, settle) or the
report's own methods text cites it in author-year form; works nobody cites are left out, so the list
is exactly the report's citations. Each entry is (label, how the text cites it, full citation).
"""
from __future__ import annotations

import re
from typing import Iterable

#: (label shown in the list, regex matching the citation in running text, full reference)
WORKS: tuple[tuple[str, str, str], ...] = (
    ("Agarwal et al. 2021", r"Agarwal et al\.?,? \(?2021",
     "Agarwal, R., Schwarzer, M., Castro, P. S., Courville, A. and Bellemare, M. G. (2021). Deep reinforcement "
     "learning at the edge of the statistical precipice. Advances in Neural Information Processing Systems 34 "
     "(NeurIPS 2021)."),
    ("Berger 1982", r"Berger,? \(?1982",
     "Berger, R. L. (1982). Multiparameter hypothesis testing and acceptance sampling. Technometrics 24(4), "
     "295-300 (the intersection-union test)."),
    ("Bouthillier et al. 2021", r"Bouthillier et al\.?,? \(?2021",
     "Bouthillier, X., Delaunay, P., Bronzi, M., Trofimov, A., Nichyporuk, B., Szeto, J., Sepah, N., Raff, E., "
     "Madan, K., Voleti, V., Kahou, S. E., Michalski, V., Serdyuk, D., Arbel, T., Pal, C., Varoquaux, G. and "
     "Vincent, P. (2021). Accounting for variance in machine learning benchmarks. Proceedings of Machine Learning "
     "and Systems 3 (MLSys 2021)."),
    ("Colas et al. 2018", r"Colas et al\.?,? \(?2018",
     "Colas, C., Sigaud, O. and Oudeyer, P.-Y. (2018). How many random seeds? Statistical power analysis in deep "
     "reinforcement learning experiments. arXiv:1806.08295."),
    ("Frankle et al. 2020", r"Frankle et al\.?,? \(?2020",
     "Frankle, J., Schwab, D. J. and Morcos, A. S. (2020). Training BatchNorm and only BatchNorm: on the "
     "expressive power of random features in CNNs. arXiv:2003.00152; International Conference on Learning "
     "Representations (ICLR 2021)."),
    ("Glorot & Bengio 2010", r"Glorot (&|and) Bengio,? \(?2010",
     "Glorot, X. and Bengio, Y. (2010). Understanding the difficulty of training deep feedforward neural "
     "networks. Proceedings of the 13th International Conference on Artificial Intelligence and Statistics "
     "(AISTATS 2010), PMLR 9, 249-256."),
    ("Goodfellow et al. 2016", r"Goodfellow,? (et al\.?|Bengio (&|and) Courville),? \(?2016|Goodfellow et al\.?, Deep Learning",
     "Goodfellow, I., Bengio, Y. and Courville, A. (2016). Deep Learning. MIT Press (section 8.7.1, batch "
     "normalization)."),
    ("Greydanus 2020", r"Greydanus,? \(?2020",
     "Greydanus, S. (2020). Scaling down deep learning (MNIST-1D). arXiv:2011.14439."),
    ("He et al. 2015", r"He et al\.?,? \(?2015",
     "He, K., Zhang, X., Ren, S. and Sun, J. (2015). Delving deep into rectifiers: surpassing human-level "
     "performance on ImageNet classification. Proceedings of the IEEE International Conference on Computer "
     "Vision (ICCV 2015), 1026-1034."),
    ("He et al. 2016", r"He et al\.?,? \(?2016",
     "He, K., Zhang, X., Ren, S. and Sun, J. (2016). Deep residual learning for image recognition. Proceedings "
     "of the IEEE Conference on Computer Vision and Pattern Recognition (CVPR 2016), 770-778."),
    ("Holm 1979", r"Holm,? \(?1979",
     "Holm, S. (1979). A simple sequentially rejective multiple test procedure. Scandinavian Journal of "
     "Statistics 6(2), 65-70."),
    ("Ioffe & Szegedy 2015", r"Ioffe (&|and) Szegedy,? \(?2015",
     "Ioffe, S. and Szegedy, C. (2015). Batch normalization: accelerating deep network training by reducing "
     "internal covariate shift. Proceedings of the 32nd International Conference on Machine Learning "
     "(ICML 2015), PMLR 37, 448-456."),
    ("Jennison & Turnbull 2000", r"Jennison (&|and) Turnbull",
     "Jennison, C. and Turnbull, B. W. (2000). Group Sequential Methods with Applications to Clinical Trials. "
     "Chapman & Hall/CRC."),
    ("Lakens 2017", r"Lakens,? \(?2017",
     "Lakens, D. (2017). Equivalence tests: a practical primer for t tests, correlations, and meta-analyses. "
     "Social Psychological and Personality Science 8(4), 355-362."),
    ("Lan & DeMets 1983", r"Lan (&|and) DeMets",
     "Lan, K. K. G. and DeMets, D. L. (1983). Discrete sequential boundaries for clinical trials. Biometrika "
     "70(3), 659-663."),
    ("Maas et al. 2013", r"Maas et al",
     "Maas, A. L., Hannun, A. Y. and Ng, A. Y. (2013). Rectifier nonlinearities improve neural network acoustic "
     "models. ICML 2013 Workshop on Deep Learning for Audio, Speech and Language Processing."),
    ("O'Brien & Fleming 1979", r"O['’]Brien (&|and) Fleming",
     "O'Brien, P. C. and Fleming, T. R. (1979). A multiple testing procedure for clinical trials. Biometrics "
     "35(3), 549-556."),
    ("Page 2019", r"Page,? \(?2019",
     "Page, D. (2019). How to train your ResNet 7: batch norm. Myrtle.ai blog, myrtle.ai/learn/how-to-train-your-"
     "resnet-7-batch-norm."),
    ("Santurkar et al. 2018", r"Santurkar et al\.?,? \(?2018",
     "Santurkar, S., Tsipras, D., Ilyas, A. and Madry, A. (2018). How does batch normalization help "
     "optimization? Advances in Neural Information Processing Systems 31 (NeurIPS 2018)."),
    ("Varma 2018", r"Varma,? \(?2018",
     "Varma, R. (2018). Training very deep networks with Batchnorm. Blog post, 19 February 2018; code: "
     "github.com/rohan-varma/nn-init-demo."),
    ("Yang et al. 2019", r"Yang et al\.?,? \(?2019",
     "Yang, G., Pennington, J., Rao, V., Sohl-Dickstein, J. and Schoenholz, S. S. (2019). A mean field theory of "
     "batch normalization. International Conference on Learning Representations (ICLR 2019)."),
)


def claim_texts(claims: Iterable) -> list[str]:
    """The prose fields of claims that may cite literature."""
    fields = ("hypothesis", "method", "literature", "caveats", "settle")
    return [getattr(c, f, "") or "" for c in claims for f in fields]


def cited(texts: Iterable[str]) -> list[dict]:
    """The works that `texts` cite, in alphabetical order: {"label", "text", "anchor"}."""
    blob = "\n".join(texts)
    return [{"label": label, "text": full, "anchor": "ref-" + re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")}
            for label, pattern, full in WORKS if re.search(pattern, blob)]
