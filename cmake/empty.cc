// Intentionally empty: placeholder translation unit for targets made only of other libraries.
