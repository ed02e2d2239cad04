package io.sparkseg.core.coco;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A COCO ground-truth dataset: images, categories and annotations in file order, with lookups by
 * id. As in pycocotools, a later record with a repeated id replaces the earlier one in the id
 * lookup, while {@link #annotationsOfImage} keeps every record.
 */
public final class CocoDataset {
  private final List<CocoImage> images;
  private final List<CocoCategory> categories;
  private final List<CocoAnnotation> annotations;
  private final Map<Long, CocoImage> imagesById = new LinkedHashMap<>();
  private final Map<Integer, CocoCategory> categoriesById = new LinkedHashMap<>();
  private final Map<Long, CocoAnnotation> annotationsById = new LinkedHashMap<>();
  private final Map<Long, List<CocoAnnotation>> annotationsByImage = new LinkedHashMap<>();

  public CocoDataset(List<CocoImage> images, List<CocoCategory> categories, List<CocoAnnotation> annotations) {
    this.images = List.copyOf(images);
    this.categories = List.copyOf(categories);
    this.annotations = List.copyOf(annotations);
    for (CocoImage i : this.images) {
      imagesById.put(i.id(), i);
    }
    for (CocoCategory c : this.categories) {
      categoriesById.put(c.id(), c);
    }
    for (CocoAnnotation a : this.annotations) {
      annotationsById.put(a.id(), a);
      annotationsByImage.computeIfAbsent(a.imageId(), k -> new ArrayList<>()).add(a);
    }
  }

  public List<CocoImage> images() {
    return images;
  }

  public List<CocoCategory> categories() {
    return categories;
  }

  public List<CocoAnnotation> annotations() {
    return annotations;
  }

  public CocoImage image(long id) {
    return imagesById.get(id);
  }

  public CocoCategory category(int id) {
    return categoriesById.get(id);
  }

  public CocoAnnotation annotation(long id) {
    return annotationsById.get(id);
  }

  /** The annotations of an image in file order (empty if none). */
  public List<CocoAnnotation> annotationsOfImage(long imageId) {
    return Collections.unmodifiableList(annotationsByImage.getOrDefault(imageId, List.of()));
  }

  /** Sorted distinct image ids ({@code sorted(coco.getImgIds())}). */
  public long[] imageIds() {
    return imagesById.keySet().stream().mapToLong(Long::longValue).sorted().toArray();
  }

  /** Sorted distinct category ids. */
  public int[] categoryIds() {
    return categoriesById.keySet().stream().mapToInt(Integer::intValue).sorted().toArray();
  }

  /** Sorted ids of the categories that declare keypoints. */
  public int[] keypointCategoryIds() {
    return categories.stream().filter(CocoCategory::hasKeypoints).mapToInt(CocoCategory::id).distinct().sorted().toArray();
  }
}
