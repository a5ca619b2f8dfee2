// The number of classes the built-in classifier has (digits 0-9): `train-classifier` builds its
// output layer with it and `load` rejects labels outside 0..CLASSES-1.
export const CLASSES = 10;
