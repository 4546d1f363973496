# Writes tests/data/keras3_augment.json: a Sequential model with Keras 3's
# augmentation layers, as real Keras writes it (model.to_json()).
import os, sys
os.environ["CUDA_VISIBLE_DEVICES"] = ""
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import keras

m = keras.Sequential([
    keras.Input((28, 28, 1)),
    keras.layers.Rescaling(1 / 255.0),
    keras.layers.RandomFlip("horizontal", seed=7),
    keras.layers.RandomTranslation(0.1, (-0.2, 0.1), fill_mode="constant", interpolation="nearest"),
    keras.layers.RandomZoom((-0.1, 0.2), fill_mode="reflect"),
    keras.layers.RandomCrop(24, 24, seed=3),
    keras.layers.Conv2D(8, 3, activation="relu"),
    keras.layers.MaxPooling2D(),
    keras.layers.Flatten(),
    keras.layers.Dense(10, activation="softmax"),
], name="keras3_augment")
with open(sys.argv[1], "w") as f:
    f.write(m.to_json(indent=1))
    f.write("\n")
print(keras.__version__)
