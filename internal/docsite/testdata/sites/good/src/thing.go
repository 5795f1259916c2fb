package src

// Thing is linked from the guide.
const Thing = 1
