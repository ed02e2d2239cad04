package io.sparkseg.core.model;

import java.util.Arrays;
import java.util.Locale;

/** The model.json names of contract enums (their constants in lower case), parsed with an error listing them. */
final class ContractNames {
  private ContractNames() {}

  static String of(Enum<?> value) {
    return value.name().toLowerCase(Locale.ROOT);
  }

  static <E extends Enum<E>> E parse(Class<E> type, String name, String what) {
    for (E e : type.getEnumConstants()) {
      if (of(e).equals(name)) {
        return e;
      }
    }
    throw new IllegalArgumentException("unknown " + what + " '" + name + "', sparkseg knows "
        + Arrays.stream(type.getEnumConstants()).map(ContractNames::of).toList());
  }
}
