/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Error codes shared by every model in the library. Functions return 0 on
 * success or one of these negative codes; xlb_model_strerror() turns a code
 * into a sentence for logs and command-line tools.
 */
#ifndef XLB_MODEL_ERROR_H
#define XLB_MODEL_ERROR_H

enum xlb_model_error {
	XLB_MODEL_OK = 0,
	XLB_MODEL_EINVAL = -1,	   /* invalid argument or configuration */
	XLB_MODEL_ENOMEM = -2,	   /* allocation failed */
	XLB_MODEL_ENONFINITE = -3, /* NaN or infinite value in the input */
	XLB_MODEL_ETOOSHORT = -4,  /* fewer rows than the fit needs */
	XLB_MODEL_ERANK = -5,	   /* design matrix is rank-deficient */
	XLB_MODEL_ELIMIT = -6,	   /* configuration exceeds a size bound */
	XLB_MODEL_ENOTREADY = -7,  /* not fitted, or not enough history */
	XLB_MODEL_EIO = -8,	 /* read or write failed; errno has the cause */
	XLB_MODEL_EFOREIGN = -9, /* file is not an xlb model file */
	XLB_MODEL_EVERSION = -10, /* model file format version not supported */
	XLB_MODEL_ECORRUPT = -11, /* model file truncated or damaged */
};

const char *xlb_model_strerror(int err);

#endif
