// SPDX-License-Identifier: GPL-2.0
#include "model_error.h"

const char *xlb_model_strerror(int err)
{
	switch (err) {
	case XLB_MODEL_OK:
		return "success";
	case XLB_MODEL_EINVAL:
		return "invalid argument";
	case XLB_MODEL_ENOMEM:
		return "out of memory";
	case XLB_MODEL_ENONFINITE:
		return "input contains NaN or infinite values";
	case XLB_MODEL_ETOOSHORT:
		return "not enough rows to fit";
	case XLB_MODEL_ERANK:
		return "design matrix is rank-deficient (constant or collinear "
		       "columns)";
	case XLB_MODEL_ELIMIT:
		return "configuration exceeds the library's size limits";
	case XLB_MODEL_ENOTREADY:
		return "model not fitted or not enough history";
	case XLB_MODEL_EIO:
		return "input/output error";
	case XLB_MODEL_EFOREIGN:
		return "not an xlb model file";
	case XLB_MODEL_EVERSION:
		return "unsupported model file version";
	case XLB_MODEL_ECORRUPT:
		return "model file is truncated or corrupt";
	}
	return "unknown error";
}
