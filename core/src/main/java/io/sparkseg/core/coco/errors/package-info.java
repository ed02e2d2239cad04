/**
 * Error analysis of a COCO evaluation after TIDE (Bolya et al., "TIDE: A General Toolbox for
 * Identifying Object Detection Errors", ECCV 2020): every false positive and missed ground truth
 * at IoU {@link io.sparkseg.core.coco.errors.ErrorThresholds#FOREGROUND} gets one {@link
 * io.sparkseg.core.coco.errors.ErrorType}, and the AP50 gained by an oracle that fixes every error
 * of one type (dAP = AP50 after that fix alone minus the original AP50), overall and per category;
 * plus a confusion matrix at the same IoU. Spark-free: {@link
 * io.sparkseg.core.coco.errors.ImageErrorAnalysis} works on one image, {@link
 * io.sparkseg.core.coco.errors.ErrorSummary} on the merged results.
 *
 * <p>Where this follows TIDE's reference implementation ({@code tidecv/quantify.py}, {@code
 * errors/main_errors.py}): the thresholds t_f = 0.5 and t_b = 0.1; the order of the tests on a false
 * positive (Loc, Cls, Dupe, Bkg, else Both, and Bkg outright in an image without ground truth); the
 * oracle fixes (Cls: the detection becomes a true positive of the ground truth's class; Loc: a true
 * positive of its own class; when several Cls/Loc errors point to one unmatched ground truth only the
 * highest-scoring one is fixed and the others are removed, and one pointing to a matched ground
 * truth is removed; Dupe, Bkg, Both: removed; Miss: the ground truth is removed, and a ground truth
 * that a Cls or Loc error points to is not a Miss); each type fixed on its own from the original
 * (TIDE's default, not progressive); a negative dAP reads 0, as in TIDE.
 *
 * <p>Where it differs, so the original AP50 is exactly the evaluate command's (pycocotools') AP50:
 * matching is COCO's (per category, maxDets 100 per image and category, area range "all", crowd
 * ground truth matched with crowd IoU and re-usable), where TIDE matches per image with its own
 * rules; AP is pycocotools' accumulate (101 recall points) averaged over the categories that have
 * ground truth. Crowd (ignored) ground truth takes no part in the error tests, as TIDE ignores
 * ignore regions there, and a detection COCO ignores (matched to a crowd region) is no error
 * (TIDE still classifies it). Loc needs IoU below t_f (TIDE: at most t_f), because COCO counts IoU
 * = t_f as a match: a false positive at exactly t_f with a matched ground truth is a Dupe. A
 * category whose every ground truth the Miss fix removes counts as AP 0 after it (TIDE's AP of a
 * class without ground truth), so every fix averages over the same categories. Keypoints are not
 * analysed (TIDE covers boxes and masks).
 */
package io.sparkseg.core.coco.errors;
