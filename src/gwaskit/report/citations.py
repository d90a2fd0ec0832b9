"""The references the methods text cites, with DOIs (one entry per method the report can name)."""

from __future__ import annotations

#: key -> (reference as cited, DOI)
CITATIONS: dict[str, tuple[str, str]] = {
    "metal": (
        "Willer CJ, Li Y, Abecasis GR (2010) METAL: fast and efficient meta-analysis of "
        "genomewide association scans. Bioinformatics 26:2190-2191.",
        "10.1093/bioinformatics/btq340",
    ),
    "dl": (
        "DerSimonian R, Laird N (1986) Meta-analysis in clinical trials. Control Clin Trials "
        "7:177-188.",
        "10.1016/0197-2456(86)90046-2",
    ),
    "reml": (
        "Viechtbauer W (2005) Bias and efficiency of meta-analytic variance estimators in the "
        "random-effects model. J Educ Behav Stat 30:261-293.",
        "10.3102/10769986030003261",
    ),
    "hksj": (
        "Hartung J, Knapp G (2001) A refined method for the meta-analysis of controlled "
        "clinical trials with binary outcome. Stat Med 20:3875-3889.",
        "10.1002/sim.791",
    ),
    "i2": (
        "Higgins JPT, Thompson SG (2002) Quantifying heterogeneity in a meta-analysis. Stat Med "
        "21:1539-1558.",
        "10.1002/sim.1186",
    ),
    "gc": (
        "Devlin B, Roeder K (1999) Genomic control for association studies. Biometrics "
        "55:997-1004.",
        "10.1111/j.0006-341X.1999.00997.x",
    ),
    "ldsc": (
        "Bulik-Sullivan BK et al. (2015) LD Score regression distinguishes confounding from "
        "polygenicity in genome-wide association studies. Nat Genet 47:291-295.",
        "10.1038/ng.3211",
    ),
    "rg": (
        "Bulik-Sullivan B et al. (2015) An atlas of genetic correlations across human diseases "
        "and traits. Nat Genet 47:1236-1241.",
        "10.1038/ng.3406",
    ),
    "cojo": (
        "Yang J et al. (2012) Conditional and joint multiple-SNP analysis of GWAS summary "
        "statistics identifies additional variants influencing complex traits. Nat Genet "
        "44:369-375.",
        "10.1038/ng.2213",
    ),
    "susie": (
        "Wang G, Sarkar A, Carbonetto P, Stephens M (2020) A simple new approach to variable "
        "selection in regression, with application to genetic fine mapping. J R Stat Soc B "
        "82:1273-1300.",
        "10.1111/rssb.12388",
    ),
    "abf": (
        "Wakefield J (2009) Bayes factors for genome-wide association studies: comparison with "
        "P-values. Genet Epidemiol 33:79-86.",
        "10.1002/gepi.20359",
    ),
    "coloc": (
        "Giambartolomei C et al. (2014) Bayesian test for colocalisation between pairs of "
        "genetic association studies using summary statistics. PLoS Genet 10:e1004383.",
        "10.1371/journal.pgen.1004383",
    ),
    "magma": (
        "de Leeuw CA, Mooij JM, Heskes T, Posthuma D (2015) MAGMA: generalized gene-set "
        "analysis of GWAS data. PLoS Comput Biol 11:e1004219.",
        "10.1371/journal.pcbi.1004219",
    ),
    "firth": (
        "Firth D (1993) Bias reduction of maximum likelihood estimates. Biometrika 80:27-38.",
        "10.1093/biomet/80.1.27",
    ),
    "spa": (
        "Dey R, Schmidt EM, Abecasis GR, Lee S (2017) A fast and accurate algorithm to test "
        "for binary phenotypes and its application to PheWAS. Am J Hum Genet 101:37-49.",
        "10.1016/j.ajhg.2017.05.014",
    ),
    "plink2": (
        "Chang CC et al. (2015) Second-generation PLINK: rising to the challenge of larger and "
        "richer datasets. GigaScience 4:7.",
        "10.1186/s13742-015-0047-8",
    ),
    "subtypes": (
        "Hautakangas H et al. (2022) Genome-wide analysis of 102,084 migraine cases identifies "
        "123 risk loci and subtype-specific risk alleles. Nat Genet 54:152-160.",
        "10.1038/s41588-021-00990-0",
    ),
}
